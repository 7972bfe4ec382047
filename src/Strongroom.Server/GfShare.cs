using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Strongroom.Server;

/// <summary>
/// Shamir's secret sharing over GF(2^8) by libgfshare (Daniel Silverstone; Debian package libgfshare2), through P/Invoke:
/// a reviewed implementation rather than a field of our own (docs/adr/0027). Each byte of the secret is the constant term
/// of its own random polynomial of degree K-1; share i is the polynomials at x = i. The library's random source is set to
/// .NET's CSPRNG (the library starts with none). Calls are serialised: the library keeps that source in a global.
/// </summary>
public static class GfShare
{
    private const string Library = "libgfshare.so.2";
    private static readonly Lock Gate = new();
    private static readonly RandomFill Fill = FillRandom;
    private static bool _randomSet;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void RandomFill(IntPtr buffer, uint count);

    /// <summary>Splits <paramref name="secret"/> into shares numbered 1…<paramref name="count"/>, any <paramref name="threshold"/> of which recover it.</summary>
    public static byte[][] Split(ReadOnlySpan<byte> secret, int count, int threshold)
    {
        if (threshold < 2 || threshold > count || count > 255)
        {
            throw new ArgumentException("Shamir needs 2 <= threshold <= shares <= 255.");
        }

        var numbers = Enumerable.Range(1, count).Select(i => (byte)i).ToArray();
        var buffer = GC.AllocateArray<byte>(secret.Length, pinned: true);
        secret.CopyTo(buffer);
        lock (Gate)
        {
            EnsureRandom();
            var ctx = gfshare_ctx_init_enc(numbers, (uint)count, (byte)threshold, (uint)secret.Length);
            if (ctx == IntPtr.Zero)
            {
                throw new InvalidOperationException("libgfshare could not make a sharing context");
            }

            try
            {
                gfshare_ctx_enc_setsecret(ctx, buffer);
                var shares = new byte[count][];
                for (var i = 0; i < count; i++)
                {
                    shares[i] = new byte[secret.Length];
                    gfshare_ctx_enc_getshare(ctx, (byte)i, shares[i]);
                }

                return shares;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(buffer);
                gfshare_ctx_free(ctx);
            }
        }
    }

    /// <summary>Recovers the secret from shares keyed by their number (1…255); with fewer than the threshold the result is unrelated bytes.</summary>
    public static byte[] Combine(IReadOnlyDictionary<int, byte[]> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0 || shares.Keys.Any(n => n is < 1 or > 255) || shares.Values.Select(s => s.Length).Distinct().Count() != 1)
        {
            throw new ArgumentException("Shares are numbered 1 to 255 and all of one length.");
        }

        var size = shares.Values.First().Length;
        var numbers = shares.Keys.Select(n => (byte)n).ToArray();
        var secret = GC.AllocateArray<byte>(size, pinned: true);
        lock (Gate)
        {
            // The library scrubs its buffers with the random source when a context is freed: it must be set here too.
            EnsureRandom();
            var ctx = gfshare_ctx_init_dec(numbers, (uint)numbers.Length, (uint)size);
            if (ctx == IntPtr.Zero)
            {
                throw new InvalidOperationException("libgfshare could not make a combining context");
            }

            try
            {
                var i = 0;
                foreach (var share in shares.Values)
                {
                    gfshare_ctx_dec_giveshare(ctx, (byte)i++, share);
                }

                gfshare_ctx_dec_extract(ctx, secret);
            }
            finally
            {
                gfshare_ctx_free(ctx);
            }
        }

        return secret;
    }

    private static void EnsureRandom()
    {
        if (_randomSet)
        {
            return;
        }

        if (!NativeLibrary.TryLoad(Library, typeof(GfShare).Assembly, null, out var handle))
        {
            throw new Crypto.RootKeyUnavailableException($"{Library} cannot be loaded: Shamir custody needs libgfshare (Debian package libgfshare2)");
        }

        Marshal.WriteIntPtr(NativeLibrary.GetExport(handle, "gfshare_fill_rand"), Marshal.GetFunctionPointerForDelegate(Fill));
        _randomSet = true;
    }

    private static void FillRandom(IntPtr buffer, uint count)
    {
        var bytes = GC.AllocateArray<byte>((int)count, pinned: true);
        RandomNumberGenerator.Fill(bytes);
        Marshal.Copy(bytes, 0, buffer, (int)count);
        CryptographicOperations.ZeroMemory(bytes);
    }

    [DllImport(Library)]
    private static extern IntPtr gfshare_ctx_init_enc(byte[] sharenrs, uint sharecount, byte threshold, uint size);

    [DllImport(Library)]
    private static extern IntPtr gfshare_ctx_init_dec(byte[] sharenrs, uint sharecount, uint size);

    [DllImport(Library)]
    private static extern void gfshare_ctx_free(IntPtr ctx);

    [DllImport(Library)]
    private static extern void gfshare_ctx_enc_setsecret(IntPtr ctx, byte[] secret);

    [DllImport(Library)]
    private static extern void gfshare_ctx_enc_getshare(IntPtr ctx, byte sharenr, byte[] share);

    [DllImport(Library)]
    private static extern void gfshare_ctx_dec_giveshare(IntPtr ctx, byte sharenr, byte[] share);

    [DllImport(Library)]
    private static extern void gfshare_ctx_dec_extract(IntPtr ctx, byte[] secretbuf);
}
