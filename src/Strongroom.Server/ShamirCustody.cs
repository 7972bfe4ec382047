using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// Root-key custody by Shamir's secret sharing (<see cref="GfShare"/>): at initialisation the fresh root key is split into
/// N shares, any K of which rebuild it; the shares go to the key holders (one file each) and nothing of the key stays in
/// the data directory — root.key.shamir holds only the key's fingerprint and a hash of each share, so a share that is
/// wrong or corrupted is refused when it is given and the rebuilt key is checked before it is used.
/// A share is text: <c>strongroom-share-v1:FINGERPRINT:NUMBER:HEX</c>.
/// </summary>
public static class ShamirCustody
{
    private const string Prefix = "strongroom-share-v1";

    /// <summary>
    /// Splits <paramref name="key"/>, writes DIR/share-1 … share-N (mode 0600, new files) — or, without --shares-out, hands
    /// them to <see cref="RootKeyOptions.PrintedShares"/> to be printed once — and returns the custody state.
    /// </summary>
    public static CustodyState Split(RootKeyOptions options, RootKey key)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        var directory = options.SharesOut ?? (options.PrintedShares is not null ? null : throw new RootKeyUnavailableException("--root-key shamir needs --shares-out DIR (where share-1 … share-N are written, one per key holder); a Shamir data directory is made by 'strongroom admin init' or 'strongroom admin rotate-root-key --to shamir'"));
        if (options.KeyThreshold < 2 || options.KeyThreshold > options.KeyShares || options.KeyShares > 255)
        {
            throw new RootKeyUnavailableException($"--key-shares {options.KeyShares} --key-threshold {options.KeyThreshold}: need 2 <= threshold <= shares <= 255");
        }

        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var fingerprint = key.Fingerprint();
        var shares = key.Use(bytes => GfShare.Split(bytes, options.KeyShares, options.KeyThreshold));
        var hashes = new List<string>();
        try
        {
            for (var i = 0; i < shares.Length; i++)
            {
                hashes.Add(Hash(i + 1, shares[i]));
                if (directory is null)
                {
                    options.PrintedShares!.Add(Format(fingerprint, i + 1, shares[i]));
                    continue;
                }

                var text = Encoding.ASCII.GetBytes(Format(fingerprint, i + 1, shares[i]) + "\n");
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                try
                {
                    using var stream = new FileStream(Path.Combine(directory, "share-" + (i + 1).ToString(CultureInfo.InvariantCulture)), fileOptions);
                    stream.Write(text);
                    stream.Flush(flushToDisk: true);
                }
                catch (IOException e)
                {
                    throw new RootKeyUnavailableException($"cannot write the shares to '{directory}' (it must not hold share files already): {e.Message}");
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(text);
                }
            }
        }
        finally
        {
            foreach (var share in shares)
            {
                CryptographicOperations.ZeroMemory(share);
            }
        }

        return new CustodyState { Mode = "shamir", Fingerprint = fingerprint, Shares = options.KeyShares, Threshold = options.KeyThreshold, ShareHashes = hashes };
    }

    public static string Format(string fingerprint, int number, byte[] share) =>
        $"{Prefix}:{fingerprint}:{number.ToString(CultureInfo.InvariantCulture)}:{Convert.ToHexStringLower(share)}";

    /// <summary>The labelled SHA-256 of share <paramref name="number"/>; 32 random-looking bytes hash to nothing guessable.</summary>
    public static string Hash(int number, byte[] share)
    {
        var input = new byte[20 + share.Length];
        Encoding.ASCII.GetBytes("strongroom-share\0").CopyTo(input, 0);
        input[19] = (byte)number;
        share.CopyTo(input, 20);
        var hash = Convert.ToHexStringLower(SHA256.HashData(input));
        CryptographicOperations.ZeroMemory(input);
        return hash;
    }

    /// <summary>Parses and checks one share against <paramref name="state"/>; the message of a refusal never repeats the share.</summary>
    public static (int Number, byte[] Bytes) Parse(string text, CustodyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parts = (text ?? string.Empty).Trim().Split(':');
        if (parts.Length != 4 || parts[0] != Prefix)
        {
            throw new FormatException($"not a Strongroom key share (expected {Prefix}:FINGERPRINT:NUMBER:HEX)");
        }

        if (parts[1] != state.Fingerprint)
        {
            throw new FormatException($"the share belongs to root key {parts[1]}, not to this server's root key {state.Fingerprint}");
        }

        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > (state.Shares ?? 0))
        {
            throw new FormatException($"the share number is not between 1 and {state.Shares}");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(parts[3]);
        }
        catch (FormatException)
        {
            throw new FormatException("the share's key part is not hexadecimal (corrupted)");
        }

        if (state.ShareHashes is not { } hashes || hashes.Count < number || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(number, bytes)), Encoding.ASCII.GetBytes(hashes[number - 1])))
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new FormatException($"share {number} is wrong or corrupted (it is not the share {number} made for this root key)");
        }

        return (number, bytes);
    }
}
