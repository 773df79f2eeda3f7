package install

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// The logo is a gopher's face reduced to shapes that stay readable at 32
// pixels: a Go-blue disc, two white eyes with dark pupils and a small snout.
var (
	goBlue = color.NRGBA{0x00, 0xAD, 0xD8, 0xFF}
	white  = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	dark   = color.NRGBA{0x1F, 0x2D, 0x3D, 0xFF}
	snout  = color.NRGBA{0xF6, 0xD2, 0xA2, 0xFF}
)

// writeLogo draws the size x size logo as PNG.
func writeLogo(w io.Writer, size int) error {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	// Shapes in unit coordinates, painted in order; later ones cover earlier.
	shapes := []struct {
		cx, cy, r float64
		c         color.NRGBA
	}{
		{0.5, 0.5, 0.48, goBlue},
		{0.33, 0.40, 0.14, white},
		{0.67, 0.40, 0.14, white},
		{0.36, 0.42, 0.06, dark},
		{0.70, 0.42, 0.06, dark},
		{0.5, 0.66, 0.12, snout},
		{0.5, 0.60, 0.045, dark},
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			px, py := (float64(x)+0.5)/s, (float64(y)+0.5)/s
			for _, sh := range shapes {
				// Coverage over one pixel's width gives anti-aliased edges.
				d := math.Hypot(px-sh.cx, py-sh.cy)
				cover := math.Min(1, math.Max(0, (sh.r-d)*s+0.5))
				if cover > 0 {
					img.SetNRGBA(x, y, blend(img.NRGBAAt(x, y), sh.c, cover))
				}
			}
		}
	}
	return png.Encode(w, img)
}

// blend paints c over dst with the given coverage (0..1).
func blend(dst, c color.NRGBA, cover float64) color.NRGBA {
	a := cover * float64(c.A) / 255
	da := float64(dst.A) / 255
	outA := a + da*(1-a)
	if outA == 0 {
		return color.NRGBA{}
	}
	mix := func(s, d uint8) uint8 {
		return uint8(math.Round((float64(s)*a + float64(d)*da*(1-a)) / outA))
	}
	return color.NRGBA{mix(c.R, dst.R), mix(c.G, dst.G), mix(c.B, dst.B), uint8(math.Round(outA * 255))}
}
