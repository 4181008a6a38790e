// TxfModel: placeholder until its first file lands.
