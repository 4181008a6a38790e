/// txf's version, the one place it is defined: `txf --version`, `txf-train --version` and the
/// run record (`config.json`) print it. Raised by hand with each release.
public enum TxfVersion {
    public static let number = "0.1.0"
}
