//go:build !linux

package plain

const mapPopulate = 0
