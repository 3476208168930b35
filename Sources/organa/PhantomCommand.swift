import ArgumentParser
import Foundation
import Phantom

/// `organa phantom`: synthetic abdominal CT phantoms with ground-truth labels, and nnU-Net datasets of them.
struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Generate a synthetic contrast-enhanced abdominal CT with its ground-truth label map.",
        discussion: """
            Labels: \(PhantomLabel.allCases.map { "\($0.rawValue) \($0.name)" }.joined(separator: ", ")).
            The anatomy depends only on the seed; size and spacing only sample it (LPS, identity direction,
            grid centred at the world origin).
            """,
        subcommands: [Generate.self, Dataset.self], defaultSubcommand: Generate.self)

    /// Grid, patient and noise options shared by both subcommands.
    struct GridOptions: ParsableArguments {
        @Option(help: "Voxels along x,y,z.")
        var size = "256,256,120"

        @Option(help: "Voxel size along x,y,z in mm (default 1.5,1.5,2.5). Not with --fov.")
        var spacing: String?

        @Option(help: "Field of view along x,y,z in mm; spacing becomes fov/size. Not with --spacing.")
        var fov: String?

        @Option(help: "Noise standard deviation in HU.")
        var noise: Double = 12

        @Flag(help: "Leave out the kidney tumour.")
        var noTumor = false

        @Option(help: "Probability that the tumour is exophytic (0...1).")
        var exophyticProbability: Double = 0.5

        /// The phantom options these flags describe (seed set by the caller).
        func phantomOptions(seed: UInt64) throws -> PhantomOptions {
            let voxels = try parseTriple(size, name: "--size", as: Int.self)
            var options = PhantomOptions(size: SIMD3(voxels[0], voxels[1], voxels[2]), seed: seed)
            switch (spacing, fov) {
            case (.some, .some):
                throw ValidationError("give either --spacing or --fov, not both")
            case (.some(let text), nil):
                let values = try parseTriple(text, name: "--spacing", as: Double.self)
                options.spacing = SIMD3(values[0], values[1], values[2])
            case (nil, .some(let text)):
                let values = try parseTriple(text, name: "--fov", as: Double.self)
                options = PhantomOptions(
                    size: options.size, fieldOfView: SIMD3(values[0], values[1], values[2]), seed: seed)
            case (nil, nil):
                break
            }
            options.noise = noise
            options.includesTumor = !noTumor
            options.exophyticProbability = exophyticProbability
            do {
                try options.validate()
            } catch {
                throw ValidationError(error.message)
            }
            return options
        }
    }

    /// `organa phantom [generate] --out DIR`.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write ct.nii.gz, labels.nii.gz and labels.json for one phantom.")

        @Option(help: "Output folder (created when missing).")
        var out: String

        @Option(help: "Seed: picks the patient.")
        var seed: UInt64 = 1

        @OptionGroup var grid: GridOptions

        func run() throws {
            let options = try grid.phantomOptions(seed: seed)
            let start = Date()
            let phantom = try generatePhantom(options)
            let generated = Date().timeIntervalSince(start)
            try phantom.write(to: out)
            let size = options.size
            print(
                "wrote \(out)/\(PhantomCase.ctFileName), \(PhantomCase.labelsFileName), "
                    + "\(PhantomCase.descriptionFileName): \(size.x)×\(size.y)×\(size.z) voxels, "
                    + "generated in \(String(format: "%.2f", generated)) s")
        }
    }

    /// `organa phantom dataset --out DIR --cases N --id 501 --name Vessels --labels artery,vein`.
    struct Dataset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an nnU-Net v2 raw dataset (imagesTr, labelsTr, dataset.json) of phantoms.")

        @Option(help: "Parent folder (nnUNet_raw); the dataset goes into Dataset{id}_{name} inside it.")
        var out: String

        @Option(help: "Number of training cases.")
        var cases: Int

        @Option(help: "nnU-Net dataset id (1...999).")
        var id: Int

        @Option(help: "Dataset name (letters, digits, '-', '_').")
        var name: String

        @Option(
            help:
                "Structures to include, in order, as labels 1, 2, ... (default: all). Known: \(PhantomLabel.structures.map(\.name).joined(separator: ","))."
        )
        var labels: String?

        @Option(help: "Seed of the first case; case n uses seed + n.")
        var seed: UInt64 = 1

        @Option(help: "Case identifier prefix.")
        var prefix = "phantom"

        @OptionGroup var grid: GridOptions

        func run() throws {
            var included = PhantomLabel.structures
            if let labels {
                do {
                    included = try labels.split(separator: ",").map { name throws(PhantomError) in
                        try PhantomLabel.named(String(name))
                    }
                } catch {
                    throw ValidationError(error.message)
                }
            }
            let options = NNUNetDatasetOptions(
                id: id, name: name, caseCount: cases, labels: included,
                phantom: try grid.phantomOptions(seed: seed), firstSeed: seed, casePrefix: prefix)
            do {
                try options.validate()
            } catch {
                throw ValidationError(error.message)
            }
            let folder = try writeNNUNetDataset(options, into: out) { index in
                print("case \(options.caseIdentifier(index)) written")
            }
            print(
                "wrote \(folder) (\(cases) cases, labels: \(options.datasetDescription.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")))"
            )
        }
    }
}

/// Parses "a,b,c" into three values, or throws a `ValidationError` naming the option.
private func parseTriple<T: LosslessStringConvertible>(_ text: String, name: String, as type: T.Type) throws -> [T] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
    }
    let values = parts.compactMap { T($0) }
    guard parts.count == 3, values.count == 3 else {
        throw ValidationError("\(name) needs three comma-separated numbers (x,y,z), got '\(text)'")
    }
    return values
}
