#ifndef TXF_ALLOCATION_COUNT_H
#define TXF_ALLOCATION_COUNT_H

/// Heap allocations (malloc, calloc, realloc, memalign and their kin) made by this process so
/// far, all threads. Counted only in executables that link this target: it replaces glibc's
/// allocation entry points with ones that count, then call glibc's own (__libc_malloc, ...).
unsigned long txf_allocation_count(void);

/// 1 where allocations are counted (Linux with glibc), 0 where txf_allocation_count is always 0.
int txf_allocation_counting(void);

#endif
