import Foundation
import OrganaTestSupport
import Testing

@testable import NNUNetRuntime

/// Seeded mutation fuzzing of the unpickler and the archive reader: every input must either parse or throw
/// `NNUNetError`, never crash or hang. The default counts keep `swift test` short; set
/// `ORGANA_FUZZ_ITERATIONS` (e.g. 1000000, with `-c release`) for a long run.
@Suite("unpickler mutation fuzzing")
struct PickleFuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["ORGANA_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3_000
    }

    @Test func mutatedPicklesNeverCrash() throws {
        let seeds = try CheckpointFixtures.networks.map { try CheckpointFixtures.pickleBytes($0) }
        var generator = SeededGenerator(seed: 0x5EED_0F_F022)
        var parsed = 0
        var rejected = 0
        for iteration in 0..<Self.iterations {
            let input = Self.mutate(seeds[iteration % seeds.count], using: &generator)
            do {
                _ = try Unpickler.parse(input)
                parsed += 1
            } catch {
                rejected += 1
            }
        }
        #expect(parsed + rejected == Self.iterations)
        #expect(rejected > 0)
    }

    @Test func mutatedArchivesNeverCrash() throws {
        let seed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CheckpointFixtures.checkpointPath("plain2d"))))
        var generator = SeededGenerator(seed: 0xA2C4)
        for _ in 0..<max(1, Self.iterations / 100) {
            var input = seed
            // Mutate the tail (central directory, end records) or the head (local headers, pickle).
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let near =
                    Bool.random(using: &generator)
                    ? input.count - 1 - Int.random(in: 0..<400, using: &generator)
                    : Int.random(in: 0..<2000, using: &generator)
                input[max(0, min(input.count - 1, near))] = UInt8.random(in: 0...255, using: &generator)
            }
            if let checkpoint = try? Checkpoint(archive: Data(input)) {
                for name in checkpoint.weightNames { _ = try? checkpoint.weight(name) }
            }
        }
    }

    /// One to eight random edits: bit flips, interesting bytes, insertions, deletions, block copies, truncation.
    static func mutate(_ seed: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x28, 0x2E, 0x52, 0x62, 0x63, 0x71, 0x68, 0x75, 0x85]
        for _ in 0..<Int.random(in: 1...8, using: &generator) {
            guard !bytes.isEmpty else { break }
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 1: bytes[position] = interesting.randomElement(using: &generator)!
            case 2: bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
            case 4: bytes.remove(at: position)
            case 5:
                let length = Int.random(in: 1...64, using: &generator)
                let source = Int.random(in: 0..<bytes.count, using: &generator)
                let block = bytes[source..<min(bytes.count, source + length)]
                bytes.insert(contentsOf: block, at: position)
            default: bytes.removeSubrange(position...)
            }
        }
        return bytes
    }
}
