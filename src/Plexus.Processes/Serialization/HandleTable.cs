using System.Buffers;
using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Descriptors that travel beside one payload (over <c>SCM_RIGHTS</c>): a shareable object writes
/// the index of its descriptor, and the receiver takes the descriptor at that index.
/// </summary>
internal sealed class HandleTable
{
    private readonly List<int> _fds = [];
    private readonly List<Action> _afterSend = [];

    public HandleTable() { }

    public HandleTable(IEnumerable<int> received) => _fds.AddRange(received);

    public IReadOnlyList<int> Fds => _fds;

    /// <summary>Adds a descriptor to send and returns its index.</summary>
    public int Add(int fd)
    {
        _fds.Add(fd);
        return _fds.Count - 1;
    }

    /// <summary>Runs once the payload is sent (e.g. a moved pipe end closes its copy here).</summary>
    public void AfterSend(Action action) => _afterSend.Add(action);

    public void Sent()
    {
        foreach (Action action in _afterSend)
        {
            action();
        }
    }

    /// <summary>Takes the received descriptor at <paramref name="index"/>; each is taken once.</summary>
    public int Take(int index)
    {
        if ((uint)index >= (uint)_fds.Count || _fds[index] < 0)
        {
            throw new MessagePackSerializationException($"descriptor #{index} was not received with this payload");
        }
        int fd = _fds[index];
        _fds[index] = -1;
        return fd;
    }

    /// <summary>Closes received descriptors that no object took (so none leak).</summary>
    public void CloseUntaken()
    {
        for (int i = 0; i < _fds.Count; i++)
        {
            if (_fds[i] >= 0)
            {
                Native.Descriptors.Close(_fds[i]);
                _fds[i] = -1;
            }
        }
    }
}
