import ArgumentParser
import TxfCommand
import TxfCore

@main
struct Txf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txf",
        abstract: "The txf toolbox: tokenize, build vocabularies, prepare and inspect datasets, import/export Hugging Face models, merge LoRA, predict, evaluate, dump gradients, benchmark.",
        discussion: "Training itself is the MPI job `txf-train` (run it under mpirun).",
        version: TxfVersion.number,
        subcommands: [Tokenize.self, Vocab.self, Prepare.self, Inspect.self, Bench.self, ImportHF.self, ExportHF.self,
                      MergeLoRA.self, Predict.self, Evaluate.self, Gradients.self, Plot.self])

    /// Chooses the BLAS kernels first: OpenBLAS reads OPENBLAS_CORETYPE before `main`, so a
    /// better choice than the environment's means one re-exec before anything else runs. Then
    /// runs as every txf executable does (`mainAsJob`).
    static func main() {
        BLASRuntime.selectKernels()
        mainAsJob()
    }
}
