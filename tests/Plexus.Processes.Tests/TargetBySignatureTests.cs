using System.Reflection;

namespace Plexus.Processes.Tests;

/// <summary>
/// A NativeAOT app has no metadata tokens, so there a child finds its target by signature (declaring
/// type, name, parameter types). The same lookup runs here, under the JIT, by starting children whose
/// target carries only its signature.
/// </summary>
public class TargetBySignatureTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(2);

    [Fact]
    public void A_child_finds_a_static_target_by_signature_and_runs_it_with_its_arguments()
    {
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        {
            Target target = BySignature((Action<Connection, int>)Reply, out ParameterInfo[] parameters);
            using ChildProcess child = ChildProcess.Create(target, parameters, theirs, 21).Start();
            Assert.Equal(42, mine.Receive<int>());
            Assert.True(child.Join(s_long));
            Assert.Equal(0, child.ExitCode);
        }
    }

    [Fact]
    public void A_child_finds_a_lambda_and_an_overload_by_signature()
    {
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        {
            Action<Connection, string> lambda = static (conn, text) => conn.Send(text + "!");
            Target target = BySignature(lambda, out ParameterInfo[] parameters);
            using (ChildProcess child = ChildProcess.Create(target, parameters, theirs, "hi").Start())
            {
                Assert.Equal("hi!", mine.Receive<string>());
                Assert.True(child.Join(s_long));
                Assert.Equal(0, child.ExitCode);
            }
        }
        (mine, theirs) = ProcessPipe.Create();
        using (mine)
        {
            Target target = BySignature((Action<Connection, long>)Reply, out ParameterInfo[] parameters);
            using ChildProcess child = ChildProcess.Create(target, parameters, theirs, 5L).Start();
            Assert.Equal(-5L, mine.Receive<long>());
            Assert.True(child.Join(s_long));
        }
    }

    [Fact]
    public void A_signature_the_child_cannot_find_is_an_error_before_the_target_naming_it()
    {
        Target target = BySignature((Action<Connection, int>)Reply, out ParameterInfo[] parameters);
        target = target with { Signature = target.Signature!.Replace("|Reply|", "|Gone|", StringComparison.Ordinal) };
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        {
            using ChildProcess child = ChildProcess.Create(target, parameters, theirs, 1).Start();
            Assert.True(child.Join(s_long));
            Assert.Equal(70, child.ExitCode);
            ChildProcessException error = Assert.IsType<ChildProcessException>(child.Error);
            Assert.True(error.BeforeTarget);
            Assert.Contains("no method Gone(", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_hint_keeps_the_signature()
    {
        Target target = BySignature((Action<Connection, int>)Reply, out _);
        Assert.Equal(target, Target.FromHint(target.Hint)! with { DisplayName = target.DisplayName });
    }

    /// <summary>The target as a NativeAOT parent describes it: no module, no token, only names.</summary>
    private static Target BySignature(Delegate method, out ParameterInfo[] parameters) =>
        Target.From(method, out parameters) with { ModuleVersionId = Guid.Empty, MetadataToken = 0, Signature = Target.MakeSignature(method.Method) };

    private static void Reply(Connection conn, int n) => conn.Send(n * 2);

    private static void Reply(Connection conn, long n) => conn.Send(-n);
}
