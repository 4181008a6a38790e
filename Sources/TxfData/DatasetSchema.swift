/// The on-disk layout of a tokenized dataset (`txf prepare` writes it, `TokenDataset` reads it).
///
/// Version 2, an HDF5 file:
///
/// | object | type | shape | meaning |
/// |---|---|---|---|
/// | `/tokens` | int32 | [T] | every row's ids, [CLS] … [SEP] included, rows back to back |
/// | `/offsets` | int64 | [N+1] | row i is `tokens[offsets[i] ..< offsets[i+1]]`; offsets[0] = 0, offsets[N] = T |
/// | `/labels` | int32 | [N] | class id per row (-1 in an unlabelled or regression dataset) |
/// | `/targets` | float32 | [N] | optional, exactly when `task` = "regression": the row's real-valued target (finite) |
/// | `/vocab` | uint8 | [bytes] | the vocab.txt file itself, byte for byte (its SHA-256 is `vocab_sha256`) |
/// | `/pair_starts` | int32 | [N] | optional, sentence pairs only: where segment b starts in row i, `[CLS] a [SEP]` being positions `0 ..< pair_starts[i]` (token type 0) and `b [SEP]` the rest (type 1) |
///
/// Root attributes: `txf_kind` = "tokenized-dataset", `schema_version` = 1,
/// `tokenizer` = "bert-wordpiece", `vocab_sha256` (hex), `vocab_size`, `lowercase` (0/1),
/// `pad_id`, `unk_id`, `cls_id`, `sep_id`, `max_length` (tokens per row incl. [CLS]/[SEP]),
/// `label_names` (strings, index = class id), `source_path`, `source_sha256` (hex of the input
/// file's bytes), `row_count` (N), `token_count` (T), `truncated_rows`, `skipped_rows`,
/// `max_token_id` (the largest id in `/tokens`) and `data_sha256`: hex SHA-256 of the three
/// 32-byte SHA-256 digests, in this order, of `/tokens` (int32), `/offsets` (int64) and
/// `/labels` (int32) as little-endian bytes, then, only when the file has them, of the optional
/// datasets: `/pair_starts` (int32) first, then `/targets` (float32); files without them keep
/// their hash. `task` (optional): "regression" for a dataset of real-valued targets (then
/// `label_names` is empty and every label -1); absent means "classification". Integers are
/// int64, strings fixed-length
/// NUL-padded UTF-8 (h5py reads them as `bytes`). Version 1 stored the strings
/// variable-length and had no data hash; it is refused (docs/ARCHITECTURE.md, "File formats
/// against hostile input").
///
/// Opening verifies `data_sha256` and `max_token_id` in one pass over the data, so a file
/// edited after `prepare` is refused, and every token id is known to be below `vocab_size`.
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
///     kind = f.attrs["txf_kind"].decode()
public enum DatasetSchema {
    public static let kind = "tokenized-dataset"
    public static let version: Int64 = 2
    public static let tokenizer = "bert-wordpiece"

    public static let tokens = "tokens"
    public static let offsets = "offsets"
    public static let labels = "labels"
    public static let targets = "targets"
    public static let vocab = "vocab"
    /// Optional: present exactly when the rows are sentence pairs.
    public static let pairStarts = "pair_starts"

    /// Tokens per chunk of `/tokens` (64 KiB of int32).
    public static let tokenChunk = 16_384
    /// Rows per chunk of `/offsets`, `/labels` and `/pair_starts`.
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
        public static let maxTokenId = "max_token_id"
        public static let dataSHA256 = "data_sha256"
        public static let task = "task"

        /// Every root attribute a dataset may have, in the order `txf inspect` shows them: the
        /// names are looked up one by one, since listing a damaged file's attributes is what
        /// crashes libhdf5.
        public static let all = [kind, schemaVersion] + TokenizerInfo.Attribute.allCases.map(\.datasetName)
            + [labelNames, sourcePath, sourceSHA256, rowCount, tokenCount, truncatedRows, skippedRows, maxTokenId, dataSHA256, task]
    }
}
