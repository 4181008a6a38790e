#ifndef TXF_CMPI_SHIM_H
#define TXF_CMPI_SHIM_H
#include <mpi.h>

// Open MPI's handles are macros over addresses of globals; Swift imports none of them.
static inline MPI_Comm txf_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype txf_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype txf_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype txf_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype txf_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype txf_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype txf_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op txf_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op txf_mpi_min(void) { return MPI_MIN; }
static inline void *txf_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *txf_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *txf_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int txf_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline MPI_Request txf_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Info txf_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int txf_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int txf_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int txf_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline MPI_Errhandler txf_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
#endif
