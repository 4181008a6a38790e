#ifndef TXF_COPENBLAS_SHIM_H
#define TXF_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
