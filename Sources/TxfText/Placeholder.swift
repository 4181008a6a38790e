// TxfText: the BERT tokenizer (placeholder until its first file lands).
