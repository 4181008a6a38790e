import CMPI
func mpiProbe() -> Int32 { var size: Int32 = 0; MPI_Comm_size(txf_mpi_comm_world(), &size); return size }
