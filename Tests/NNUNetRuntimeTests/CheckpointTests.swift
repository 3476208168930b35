import Foundation
import OrganaTestSupport
import Testing

@testable import NNUNetRuntime

@Suite("checkpoint reader: zip archive, strict unpickler, tensor storages")
struct CheckpointTests {
    @Test(arguments: CheckpointFixtures.networks)
    func readsFixtureCheckpoint(network: String) throws {
        let meta = try CheckpointFixtures.meta(network)
        let checkpoint = try Checkpoint.load(CheckpointFixtures.checkpointPath(network))
        #expect(checkpoint.weightNames.count == meta.state_dict_keys)
        #expect(checkpoint.trainerName == "nnUNetTrainer")
        #expect(checkpoint.configuration == meta.configuration)
        #expect(checkpoint.mirroringAxes == Array(0..<(meta.input_shape.count - 1)))
        #expect(checkpoint.epoch == 1)
        for (name, expected) in meta.weight_sums {
            let weight = try checkpoint.weight(name)
            let sum = weight.elements.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - expected) <= 1e-4 * max(1, abs(expected)), "\(name): \(sum) vs \(expected)")
        }
    }

    @Test func aliasesShareValues() throws {
        let checkpoint = try Checkpoint.load(CheckpointFixtures.checkpointPath("plain3d"))
        let canonical = try checkpoint.weight("encoder.stages.0.0.convs.0.conv.weight")
        #expect(canonical.shape == [4, 1, 1, 3, 3])
        #expect(try checkpoint.weight("encoder.stages.0.0.convs.0.all_modules.0.weight") == canonical)
        #expect(try checkpoint.weight("decoder.encoder.stages.0.0.convs.0.conv.weight") == canonical)
    }

    @Test(arguments: [
        ("os_system.pkl", "posix.system"), ("builtins_eval_protocol4.pkl", "builtins.eval"),
        ("getattr.pkl", "__builtin__.getattr"), ("ordered_dict_with_args.pkl", "OrderedDict called with arguments"),
        ("protocol0_inst.pkl", "STRING"), ("obj_opcode.pkl", "os.system"), ("newobj.pkl", "NEWOBJ"),
    ])
    func hostilePicklesAreRejected(file: String, mentioned: String) throws {
        let bytes = try [UInt8](Data(contentsOf: CheckpointFixtures.root.appendingPathComponent("pickles/\(file)")))
        let error = #expect(throws: NNUNetError.self) { try Unpickler.parse(bytes) }
        #expect(error?.code == .invalidPickle)
        #expect(error?.message.contains(mentioned) == true, "\(String(describing: error))")
    }

    @Test func deepNestingIsRejected() {
        // PROTO 2, EMPTY_TUPLE, then TUPLE1 a million times: would otherwise be freed by a million-deep recursion.
        let bytes: [UInt8] = [0x80, 2, 0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        let error = #expect(throws: NNUNetError.self) { try Unpickler.parse(bytes) }
        #expect(error?.message.contains("nested deeper") == true)
    }

    @Test func selfContainingListIsRejected() {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
        let error = #expect(throws: NNUNetError.self) {
            try Unpickler.parse([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E])
        }
        #expect(error?.message.contains("itself") == true)
    }

    @Test func truncatedArchivesFailCleanly() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CheckpointFixtures.checkpointPath("plain2d")))
        for length in [0, 10, 100, 1000, data.count / 2, data.count - 30, data.count - 1] {
            #expect(throws: NNUNetError.self) { _ = try Checkpoint(archive: data.prefix(length)) }
        }
    }

    @Test func corruptStorageIsDetected() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: CheckpointFixtures.checkpointPath("plain2d")))
        let archive = try ZipArchive(data)
        let member = archive.members.first { $0.name.hasSuffix("/data/0") }!
        data[member.dataOffset + 3] ^= 0x40
        let checkpoint = try Checkpoint(archive: data)
        let name = checkpoint.weightNames.first { _ in true }!
        let error = #expect(throws: NNUNetError.self) {
            for name in checkpoint.weightNames { _ = try checkpoint.weight(name) }
        }
        #expect(error?.message.contains("CRC") == true, "\(name)")
    }

    @Test func notAZipFile() {
        let error = #expect(throws: NNUNetError.self) { try Checkpoint(archive: Data(repeating: 7, count: 4096)) }
        #expect(error?.code == .invalidArchive)
    }

    @Test func missingCheckpointNamesThePath() {
        let error = #expect(throws: NNUNetError.self) {
            try Checkpoint.load("/nonexistent/fold_0/checkpoint_final.pth")
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("/nonexistent/fold_0") == true)
    }

    @Test
    func bundledVesselsCheckpoint() throws {
        let checkpoint = try Checkpoint.load(BundledModels.folder("vessels") + "/fold_0/checkpoint_final.pth")
        #expect(checkpoint.configuration == "3d_fullres")
        #expect(checkpoint.shape(of: "encoder.stages.0.0.convs.0.conv.weight") == [8, 1, 3, 3, 3])
    }
}
