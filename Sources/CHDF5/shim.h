#ifndef TXF_CHDF5_SHIM_H
#define TXF_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>

// HDF5's type and property-list ids are macros that call H5open() and read a global.
static inline hid_t txf_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t txf_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t txf_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t txf_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t txf_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t txf_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t txf_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t txf_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t txf_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t txf_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t txf_h5s_all(void) { return H5S_ALL; }
static inline unsigned txf_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned txf_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned txf_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned txf_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline hsize_t txf_h5s_unlimited(void) { return H5S_UNLIMITED; }
// The default (per-thread) error stack, and the size that marks a variable-length string type.
static inline hid_t txf_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t txf_h5t_variable(void) { return H5T_VARIABLE; }
#endif
