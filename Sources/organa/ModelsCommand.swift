import ArgumentParser
import Foundation
import Segmentation

/// `organa models [--ct ct.nii.gz]`: the catalog, and for a CT and a request which models run and why.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model catalog; with --ct, explain which models a job on that CT would run and why.",
        discussion: "Reads only the CT's header. An impossible request is an error here, before any voxel is read.")

    @OptionGroup var selection: SelectionOptions

    @Option(help: "A CT whose header the plan is made for.")
    var ct: String?

    func run() throws {
        let catalog = try ModelCatalog.load(selection.catalog)
        let selector = ModelSelector(catalog: catalog)
        for entry in catalog.models {
            let structures = entry.structures.map(\.rawValue).joined(separator: ", ")
            let installed = selector.isAvailable(entry) ? "installed" : "not installed"
            print(
                "\(entry.id): \(entry.family) v\(entry.version), \(entry.configuration), \(structures)"
                    + "\(entry.role == .preview ? " (preview)" : "") — \(installed) (\(catalog.folderPath(entry)))")
        }
        guard let ct else { return }
        let plan = try JobPlanner(catalog: catalog).plan(try selection.request(), image: try imageInfo(ct))
        print("\nfor \(ct):")
        for note in plan.notes { print("  \(note)") }
        for group in plan.groups {
            print("  group \(group.name): \(group.models.map(\.entry.id).joined(separator: ", "))")
        }
        print("  estimated peak memory \(describeBytes(plan.estimatedPeakBytes))")
    }
}
