using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace Strongroom.Server;

/// <summary>
/// The buffers answers are rendered into, reused across calls: a fresh one per call cost more than the rest of a
/// GetSecretValue's allocations together (the JSON writer's first request for room is 4 KB). A buffer comes back
/// zeroed where it was written (an answer may hold a secret's value) and one grown past <see cref="LargestKept"/> is
/// dropped, so the pool holds at most <see cref="Retained"/> × 64 KB. Thread-safe.
/// </summary>
internal static class ResponseBuffers
{
    private const int Initial = 8 * 1024;
    private const int LargestKept = 64 * 1024;
    private const int Retained = 256;
    private static readonly ObjectPool<ArrayBufferWriter<byte>> Pool = new DefaultObjectPool<ArrayBufferWriter<byte>>(new Policy(), Retained);

    public static ArrayBufferWriter<byte> Rent() => Pool.Get();

    /// <summary>Zeroes what was written and keeps the buffer for another call (or lets it go if it grew large).</summary>
    public static void Return(ArrayBufferWriter<byte> buffer) => Pool.Return(buffer);

    private sealed class Policy : IPooledObjectPolicy<ArrayBufferWriter<byte>>
    {
        public ArrayBufferWriter<byte> Create() => new(Initial);

        public bool Return(ArrayBufferWriter<byte> obj)
        {
            obj.Clear(); // zeroes the written bytes: no answer outlives its call in a pooled buffer
            return obj.Capacity <= LargestKept;
        }
    }
}
