using System.Reflection;
using Strongroom.Core.Storage;

namespace Strongroom.Tests;

/// <summary>
/// An <see cref="IStore"/> that forwards every call to a real store, except that AppendAuditAsync throws while
/// <see cref="Failing"/> is set — the trail's disk full or database gone, as far as the audit log can tell.
/// </summary>
public class FailingAuditStore : DispatchProxy
{
    private IStore? _inner;

    public bool Failing { get; set; }

    public static (IStore Store, FailingAuditStore Control) Over(IStore inner)
    {
        var proxy = Create<IStore, FailingAuditStore>();
        var control = (FailingAuditStore)(object)proxy;
        control._inner = inner;
        return (proxy, control);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (Failing && targetMethod.Name == nameof(IStore.AppendAuditAsync))
        {
            throw new IOException("disk full");
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
