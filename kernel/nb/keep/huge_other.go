//go:build !linux

package keep

func adviseHuge([]byte) {}
