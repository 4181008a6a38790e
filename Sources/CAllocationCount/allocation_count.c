// Counts heap allocations for `txf bench` by replacing glibc's malloc family (glibc manual,
// "Replacing malloc": an executable that defines malloc, free, calloc and realloc, and the
// aligned variants, is used by every library in the process). Each replacement bumps one
// relaxed atomic counter and calls glibc's own allocator, so blocks, malloc_usable_size and
// malloc_trim behave exactly as without it. Only the `txf` executable links this.
#include "allocation_count.h"

#include <errno.h>
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *block, size_t size);
extern void __libc_free(void *block);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static unsigned long allocations;

static inline void counted(void) { __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED); }

unsigned long txf_allocation_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }
int txf_allocation_counting(void) { return 1; }

void *malloc(size_t size) { counted(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { counted(); return __libc_calloc(count, size); }
void free(void *block) { __libc_free(block); }
void *memalign(size_t alignment, size_t size) { counted(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { counted(); return __libc_memalign(alignment, size); }
void *valloc(size_t size) { counted(); return __libc_valloc(size); }
void *pvalloc(size_t size) { counted(); return __libc_pvalloc(size); }

// realloc(p, 0) frees and realloc(NULL, n) allocates; only a call that can hand out a new block
// counts.
void *realloc(void *block, size_t size) {
    if (size != 0 || block == NULL) counted();
    return __libc_realloc(block, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    counted();
    void *block = __libc_memalign(alignment, size);
    if (block == NULL && size != 0) return ENOMEM;
    *out = block;
    return 0;
}

#else

// Elsewhere the system allocator is left alone and nothing is counted.
unsigned long txf_allocation_count(void) { return 0; }
int txf_allocation_counting(void) { return 0; }

#endif
