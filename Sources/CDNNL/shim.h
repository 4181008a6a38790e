#ifndef TXF_CDNNL_SHIM_H
#define TXF_CDNNL_SHIM_H
// Debian's libdnnl-dev ships no pkg-config file, so the module map links -ldnnl itself.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// Execution-argument indices are macros defined through other macros.
static inline int txf_dnnl_arg_src(void) { return DNNL_ARG_SRC; }
static inline int txf_dnnl_arg_weights(void) { return DNNL_ARG_WEIGHTS; }
static inline int txf_dnnl_arg_dst(void) { return DNNL_ARG_DST; }
static inline int txf_dnnl_arg_from(void) { return DNNL_ARG_FROM; }
static inline int txf_dnnl_arg_to(void) { return DNNL_ARG_TO; }

// The handle that tells dnnl_memory_create to allocate the buffer itself (a pointer macro).
static inline void *txf_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }

// The implementation name ("brg:avx512_core_amx_bf16", "gemm:jit", "ref:any"): the query
// writes a `const char *` through a `void *`, which Swift cannot type.
static inline const char *txf_dnnl_impl_info(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, (void *)&name) != dnnl_success) return NULL;
    return name;
}
#endif
