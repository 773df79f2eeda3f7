package nb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// input, when set, replaces os.Stdin as the place Input reads (tests set it).
var input io.Reader

func in() io.Reader {
	if input != nil {
		return input
	}
	return os.Stdin
}

// Input shows prompt and reads one line of standard input, like Python's
// input(): in the notebook the prompt labels the input box. It returns the
// line without its line ending. Without a frontend that sends input
// (nbclient, gokernel run without a terminal) the read gets io.EOF at once.
//
// fmt.Scanln and bufio on os.Stdin get an input box too; Input exists for
// the prompt and for Password.
func Input(prompt string) (string, error) { return readLine(prompt, false) }

// Password is Input with the typing hidden, like Python's getpass.getpass():
// the notebook shows a password box. Outside the kernel the prompt is
// printed and the line read as typed (the terminal is left alone).
func Password(prompt string) (string, error) { return readLine(prompt, true) }

func readLine(prompt string, password bool) (string, error) {
	if underKernel() {
		// The kernel shows the prompt in the input box: announce the read
		// with it, then read as usual.
		if err := wire.Write(out(), wire.Frame{Kind: wire.KindInput, Prompt: prompt, Password: password}); err != nil {
			return "", fmt.Errorf("nb: input: %w", err)
		}
	} else if prompt != "" {
		fmt.Fprint(out(), prompt)
	}
	line, err := readOneLine(in())
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return line, err
	}
	return line, nil
}

// readOneLine reads up to and including the next '\n', one byte at a time,
// so nothing after the line is taken from a stdin that fmt.Scan or another
// process reads next. A last line without '\n' is returned with io.EOF.
func readOneLine(r io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(c[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
}
