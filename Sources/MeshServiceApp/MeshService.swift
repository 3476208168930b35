// The mesh service: masks only. A task takes a label map by key (`labels`: the corrected map) and writes one
// OBJ per structure under `outputPrefix/meshes/`, each announced (an `artifact` event) the moment it is
// stored (uploaded in S3 mode), the same meshes `organa run` writes (same library call, same names, same options).
public import Foundation
public import Hummingbird
public import Logging
import Meshing
import NiftiIO
import Segmentation
import ServiceContracts
public import ServiceSupport
import VolumeCore

public struct MeshService: Sendable {
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

    func run(_ request: TaskRequest, emit: @escaping @Sendable (TaskEvent) -> Void) throws {
        guard let labelsKey = request.inputs["labels"] else {
            throw ServiceError(.unprocessable, "the task needs input labels")
        }
        let labels = try NiftiReader.read(try store.localFile(for: labelsKey).path).volume.converted(to: UInt8.self)
        let names = Dictionary(uniqueKeysWithValues: Structure.allCases.map { (Int($0.labelValue), $0.rawValue) })
        let folderKey = request.outputPrefix + "meshes"
        let folder = try store.url(for: folderKey)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let writer = MeshFileWriter(directory: folder, format: .obj)
        let settings = request.options.mesh
        let options = MeshingOptions(smoothingFactor: settings.smoothing, decimation: settings.decimation)
        try LabelMapMesher.meshes(of: labels, names: names, options: options) { structure in
            let key = folderKey + "/" + (try writer.write(structure)).lastPathComponent
            try store.publish(key)
            emit(.artifact(Artifact(kind: "mesh", structure: structure.name, key: key)))
        }
    }
}
