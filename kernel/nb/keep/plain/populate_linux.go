package plain

import "syscall"

// mapPopulate has the kernel map every page of a file of kept values at
// once rather than on each first touch.
const mapPopulate = syscall.MAP_POPULATE
