import ArgumentParser
import StableDiffusion

/// The `sd` command-line tool: Stable Diffusion on the CPU.
@main
struct SD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sd",
        abstract: "Stable Diffusion on the CPU, in Swift.",
        subcommands: [InfoCommand.self, TokenizeCommand.self, GenerateCommand.self, ServeCommand.self, WorkerCommand.self])
}
