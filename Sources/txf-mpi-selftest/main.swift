print("txf-mpi-selftest: no scenarios yet")
