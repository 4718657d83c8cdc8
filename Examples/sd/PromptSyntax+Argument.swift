import ArgumentParser
import StableDiffusion

/// `--prompt-syntax a1111|plain`.
extension PromptSyntax: ExpressibleByArgument {}
