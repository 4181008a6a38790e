/// The on-disk layout of a tokenized dataset (`txf prepare` writes it, `TokenDataset` reads it).
///
/// Version 1, an HDF5 file:
///
/// | object | type | shape | meaning |
/// |---|---|---|---|
/// | `/tokens` | int32 | [T] | every row's ids, [CLS] … [SEP] included, rows back to back |
/// | `/offsets` | int64 | [N+1] | row i is `tokens[offsets[i] ..< offsets[i+1]]`; offsets[0] = 0, offsets[N] = T |
/// | `/labels` | int32 | [N] | class id per row (-1 in an unlabelled dataset) |
/// | `/vocab` | uint8 | [bytes] | the vocab.txt file itself, byte for byte (its SHA-256 is `vocab_sha256`) |
///
/// Root attributes: `txf_kind` = "tokenized-dataset", `schema_version` = 1,
/// `tokenizer` = "bert-wordpiece", `vocab_sha256` (hex), `vocab_size`, `lowercase` (0/1),
/// `pad_id`, `unk_id`, `cls_id`, `sep_id`, `max_length` (tokens per row incl. [CLS]/[SEP]),
/// `label_names` (strings, index = class id), `source_path`, `source_sha256` (hex of the input
/// file's bytes), `row_count` (N), `token_count` (T), `truncated_rows`, `skipped_rows`.
/// Integers are int64, strings variable-length UTF-8.
///
/// Storing the vocab in the file makes a dataset self-contained: `txf inspect` decodes rows
/// with nothing else, and a trainer can check its tokenizer against the data by hash.
///
/// The three numeric datasets are chunked (`tokenChunk` tokens, `rowChunk` rows) with
/// shuffle + deflate 1: chunks of 64 KiB keep a scattered row read to one small
/// decompression while still compressing SST-2's tokens about 3×. Reading in Python:
///
///     f = h5py.File("train.h5"); o = f["offsets"][:]
///     row_ids = f["tokens"][o[i]:o[i+1]]
///     vocab = f["vocab"][:].tobytes().decode().splitlines()
public enum DatasetSchema {
    public static let kind = "tokenized-dataset"
    public static let version: Int64 = 1
    public static let tokenizer = "bert-wordpiece"

    public static let tokens = "tokens"
    public static let offsets = "offsets"
    public static let labels = "labels"
    public static let vocab = "vocab"

    /// Tokens per chunk of `/tokens` (64 KiB of int32).
    public static let tokenChunk = 16_384
    /// Rows per chunk of `/offsets` and `/labels`.
    public static let rowChunk = 16_384

    /// Root attribute names (the tokenizer's are `TokenizerInfo.Attribute`). `txf_kind` and
    /// `label_names` mean the same in model files and checkpoints, which use these names too.
    public enum Attribute {
        public static let kind = "txf_kind"
        public static let schemaVersion = "schema_version"
        public static let labelNames = "label_names"
        public static let sourcePath = "source_path"
        public static let sourceSHA256 = "source_sha256"
        public static let rowCount = "row_count"
        public static let tokenCount = "token_count"
        public static let truncatedRows = "truncated_rows"
        public static let skippedRows = "skipped_rows"
    }
}
