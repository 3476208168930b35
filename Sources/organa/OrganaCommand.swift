import ArgumentParser

/// The one Organa executable: subcommands wire library functions to files and the terminal.
@main
struct OrganaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organa",
        abstract: "Abdominal CT segmentation, post-processing and meshing for kidney-surgery planning.",
        subcommands: [
            InfoCommand.self, PhantomCommand.self, MeshCommand.self, PostCommand.self, ModelCommand.self,
            PredictCommand.self, RunCommand.self, ModelsCommand.self, ServeCommand.self,
        ])
}
