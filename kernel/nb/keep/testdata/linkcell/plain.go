//go:build !composites

package main

func registerComposites() {}
