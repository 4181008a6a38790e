// TxfData: placeholder until its first file lands.
