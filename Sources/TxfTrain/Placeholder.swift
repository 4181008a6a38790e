// TxfTrain: placeholder until its first file lands.
