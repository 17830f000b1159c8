using Plexus.IO;

namespace Plexus.Samples;

/// <summary>
/// The seed's event-driven model: input events (mouse clicks, key presses) arrive in a queue, and
/// one loop takes each in turn and calls the handler registered for its kind. Here the "device" is
/// another thread posting to the Plexus event loop with <c>CallSoonThreadSafe</c>.
/// </summary>
internal static class S13
{
    private sealed record InputEvent(string Kind, string Detail);

    public static int Run(string[] args)
    {
        using var loop = new EventLoop();
        int handled = 0;
        var handlers = new Dictionary<string, Action<InputEvent>>
        {
            ["click"] = e => Console.WriteLine($"dispatch click {e.Detail} -> OnClick"),
            ["key"] = e => Console.WriteLine($"dispatch key {e.Detail} -> OnKey"),
            ["quit"] = e =>
            {
                Console.WriteLine("dispatch quit -> stop the loop");
                loop.Stop();
            },
        };

        void Dispatch(InputEvent e)
        {
            handled++;
            handlers[e.Kind](e);
        }

        InputEvent[] inputs =
        [
            new("click", "(x=10, y=20)"),
            new("key", "'a'"),
            new("click", "(x=300, y=45)"),
            new("key", "'Enter'"),
            new("quit", ""),
        ];
        var device = new Thread(() =>
        {
            foreach (InputEvent e in inputs)
            {
                Thread.Sleep(10);
                loop.CallSoonThreadSafe(() => Dispatch(e));
            }
        });

        loop.CallSoon(() => Console.WriteLine("event loop running; waiting for input events"));
        loop.CallLater(TimeSpan.FromMilliseconds(1), () => Console.WriteLine("timer: a callback scheduled with CallLater"));
        device.Start();
        loop.RunForever();
        device.Join();
        Console.WriteLine($"handled {handled} events on one thread");
        return handled == inputs.Length ? 0 : 1;
    }
}
