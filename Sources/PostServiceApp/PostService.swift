// The post-processing service: masks only (it never sees the CT). A task takes the merged label map
// (`labels`) and the fat-candidate mask (`fatCandidate`) by key, corrects the label map, derives the
// perirenal fat mask and writes `post/labels_corrected.nii.gz`, `post/perirenal_fat.nii.gz` and
// `post/post_report.json` under `outputPrefix`. Without the CT the fat sides carry no mean HU.
public import Foundation
public import Hummingbird
public import Logging
import NiftiIO
import PostProcessing
import ServiceContracts
public import ServiceSupport
import VolumeCore

public struct PostService: Sendable {
    public let configuration: ServiceConfiguration
    public let store: ObjectStore

    public init(configuration: ServiceConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        store = try ObjectStore(configuration: configuration)
    }

    /// A task's work, as the task board and the queue worker run it.
    public var work: TaskBoard.Work {
        { request, emit in
            defer { self.store.dropCached(under: "jobs/\(request.jobID)") }
            try self.run(request, emit: emit)
        }
    }

    public func router(logger: Logger) -> Router<ServiceRequestContext> {
        ServiceHost.stageRouter(
            board: TaskBoard(work: work), secret: configuration.secret,
            store: store)
    }

    /// The report written beside the post-processed masks.
    struct Report: Encodable {
        var corrections: [CorrectionChange]
        var correctionWarnings: [String]
        var fatSides: [SideFatMeasurements]
        var fatWarnings: [String]
    }

    func run(_ request: TaskRequest, emit: @escaping @Sendable (TaskEvent) -> Void) throws {
        guard let labelsKey = request.inputs["labels"], let fatKey = request.inputs["fatCandidate"] else {
            throw ServiceError(.unprocessable, "the task needs inputs labels and fatCandidate")
        }
        let labels = try NiftiReader.read(try store.localFile(for: labelsKey).path).volume.converted(to: UInt8.self)
        let candidate = try NiftiReader.read(try store.localFile(for: fatKey).path).volume.converted(to: UInt8.self)
        emit(.progress("post-processing", done: 0, total: 2))
        let corrected = try correctLabelMap(labels)
        let prefix = request.outputPrefix + "post/"
        try store.putLabelMap(corrected.labelMap, key: prefix + "labels_corrected.nii.gz", kind: "post", emit: emit)
        emit(.progress("post-processing", done: 1, total: 2))
        let fat = try perirenalFatMask(labels: corrected.labelMap, fatCandidate: candidate)
        try store.putLabelMap(
            fat.mask, key: prefix + "perirenal_fat.nii.gz", kind: "post", structure: "fat", emit: emit)
        let report = Report(
            corrections: corrected.changes, correctionWarnings: corrected.warnings, fatSides: fat.sides,
            fatWarnings: fat.warnings)
        try store.put(prefix + "post_report.json", data: try JobStore.encode(report))
        emit(.artifact(Artifact(kind: "report", key: prefix + "post_report.json")))
        emit(.progress("post-processing", done: 2, total: 2))
    }

}
