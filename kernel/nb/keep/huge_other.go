//go:build !linux

package keep

const mapPopulate = 0

func adviseHuge([]byte) {}
