package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// listedPackage is what compileModulePackages needs of `go list -json`.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	// Anything below makes the package one for `go build`.
	CgoFiles, SFiles, CFiles, EmbedFiles []string
	ImportMap                            map[string]string
	Module                               *struct{ GoVersion string }
	Error                                *struct{ Err string }
}

// compileModulePackages compiles the packages of modules that imports need
// (and their dependencies outside the standard library) with the compiler
// directly, into the workspace, and adds them to the importcfg for race.
// Their standard dependencies come from the importcfg (the shared prebuilt
// library), so nothing is compiled into the user's build cache unless the
// importcfg lacks a standard package. It fails, for the caller to use `go
// build`, on a package it cannot build this way (cgo, assembly, embedded
// files, vendoring).
func (b *builder) compileModulePackages(ctx context.Context, race bool, imports []string) error {
	var external []string
	for _, p := range imports {
		if !b.fastPathOK([]string{p}) {
			external = append(external, p)
		}
	}
	if len(external) == 0 {
		return nil
	}
	args := []string{"list", "-deps", "-json=ImportPath,Dir,Standard,GoFiles,CgoFiles,SFiles,CFiles,EmbedFiles,ImportMap,Module,Error"}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "--")
	args = append(args, external...)
	cmd := exec.CommandContext(ctx, b.tc.goBin, args...)
	cmd.Dir = b.ws.dir
	cmd.Env = b.env
	if race {
		cmd.Env = append(slices.Clone(b.env), "CGO_ENABLED=1") // -race needs it
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var std []string
	var mods []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("go list: %w", err)
		}
		switch {
		case p.Error != nil:
			return fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		case p.Standard:
			std = append(std, p.ImportPath)
		case p.ImportPath == "unsafe" || p.ImportPath == "C":
			return fmt.Errorf("%s: cgo", p.ImportPath)
		case len(p.CgoFiles)+len(p.SFiles)+len(p.CFiles)+len(p.EmbedFiles)+len(p.ImportMap) > 0:
			return fmt.Errorf("%s: needs more than the compiler (cgo, assembly, embed or vendoring)", p.ImportPath)
		default:
			mods = append(mods, p)
		}
	}
	// The standard packages they import: from the importcfg, compiled per
	// user only if missing there.
	if _, err := b.importConfig(ctx, race, std); err != nil {
		return err
	}
	dir := b.ws.path(wsBuild, "modules")
	if race {
		dir += "-race"
	}
	// go list -deps lists dependencies before the packages importing them.
	for _, p := range mods {
		if b.exportOf(race, p.ImportPath) != "" {
			continue
		}
		cfg, err := b.importConfig(ctx, race, nil)
		if err != nil {
			return err
		}
		archive := filepath.Join(dir, filepath.FromSlash(p.ImportPath)+".a")
		if err := os.MkdirAll(filepath.Dir(archive), 0o700); err != nil {
			return err
		}
		// Written under a name of its own, then renamed: a build ahead
		// (lookahead) may compile the same package at the same time.
		tmp := fmt.Sprintf("%s.%d-%d.tmp", archive, os.Getpid(), tmpSeq.Add(1))
		args := []string{"-o", tmp, "-p", p.ImportPath, "-complete", "-pack", "-dwarf=false", "-importcfg", cfg}
		if p.Module != nil && p.Module.GoVersion != "" {
			// -lang takes the language version: "1.26.0" -> go1.26.
			v := strings.SplitN(p.Module.GoVersion, ".", 3)
			args = append(args, "-lang=go"+strings.Join(v[:min(2, len(v))], "."))
		}
		if race {
			args = append(args, "-race")
		}
		for _, f := range p.GoFiles {
			args = append(args, filepath.Join(p.Dir, f))
		}
		if out, err := b.tool(ctx, "compile", args...); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("compile %s: %w: %s", p.ImportPath, err, strings.TrimSpace(string(out)))
		}
		if err := privateModes(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, archive); err != nil {
			return err
		}
		if _, err := b.addToConfig(race, map[string]string{p.ImportPath: archive}); err != nil {
			return err
		}
	}
	return nil
}

var tmpSeq atomic.Int64

// exportOf is the export file of path in the importcfg for race, or "".
func (b *builder) exportOf(race bool, path string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cfg := b.cfgs[race]; cfg != nil {
		return cfg.files[path]
	}
	return ""
}
