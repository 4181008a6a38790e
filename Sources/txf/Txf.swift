import ArgumentParser

@main
struct Txf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txf",
        abstract: "The txf toolbox: tokenize, build vocabularies, prepare and inspect datasets, benchmark.",
        discussion: "Training itself is the MPI job `txf-train` (run it under mpirun).",
        subcommands: [Tokenize.self, Vocab.self, Prepare.self, Inspect.self, Bench.self])
}
