namespace Plexus.Native;

/// <summary>
/// Bytes from the kernel's CSPRNG (<c>getrandom(2)</c>), the same source .NET's
/// <c>RandomNumberGenerator</c> ends at, without loading OpenSSL first (about 5 ms of a process's
/// first child start).
/// </summary>
public static unsafe class SecureRandom
{
    /// <summary>Returns <paramref name="count"/> random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        byte[] bytes = new byte[count];
        fixed (byte* p = bytes)
        {
            int filled = 0;
            while (filled < count)
            {
                nint n = LibC.getrandom(p + filled, (nuint)(count - filled), 0);
                if (n < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errnos.EINTR)
                    {
                        continue;
                    }
                    LibC.Check(-1, "getrandom");
                }
                filled += (int)n;
            }
        }
        return bytes;
    }
}
