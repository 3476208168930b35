// Seeded mutation fuzzer for the checkpoint unpickler: `nnunet-pickle-fuzz [iterations] [seed] PICKLE...`.
//
// Each iteration takes one seed pickle (e.g. the data.pkl members of the fixture checkpoints, extracted with
// `unzip -p`), applies one to eight random edits (bit flips, interesting bytes, random bytes, insertions,
// deletions, block copies, truncation — the same mutator as Tests/NNUNetRuntimeTests/PickleFuzzTests.swift)
// and parses it. Every input must parse or throw NNUNetError; a crash or hang is a bug. Prints the counts.
import Foundation
import NNUNetRuntime

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func mutate(_ seed: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
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
            bytes.insert(contentsOf: bytes[source..<min(bytes.count, source + length)], at: position)
        default: bytes.removeSubrange(position...)
        }
    }
    return bytes
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 3, let iterations = Int(arguments.first!), let seed = UInt64(arguments.dropFirst().first!)
else {
    FileHandle.standardError.write(Data("usage: nnunet-pickle-fuzz ITERATIONS SEED PICKLE...\n".utf8))
    exit(2)
}
let seeds = try arguments.dropFirst(2).map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
var generator = SplitMix64(state: seed)
var parsed = 0
var rejected = 0
let start = Date()
for iteration in 0..<iterations {
    do {
        _ = try Unpickler.parse(mutate(seeds[iteration % seeds.count], using: &generator))
        parsed += 1
    } catch {
        rejected += 1
    }
}
print(
    "inputs \(iterations), parsed \(parsed), rejected \(rejected), crashes 0, "
        + String(format: "%.1f s", Date().timeIntervalSince(start)))
