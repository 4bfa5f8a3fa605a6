using System.Runtime.InteropServices;

namespace HeadAtlas.Cli;

/// <summary>
/// The one way a command learns it should stop: Ctrl+C (SIGINT) or SIGTERM cancel <see cref="Token"/>. Commands
/// catch the cancellation, leave only whole files behind, and return. (The web host registers its own signal
/// handlers, and all registered handlers run, so this still fires while a server is up.)
/// </summary>
public sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration _sigint, _sigterm;

    public Interrupt(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _source.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we exit ourselves, once the work in hand is whole
        _source.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _source.Dispose();
    }
}
