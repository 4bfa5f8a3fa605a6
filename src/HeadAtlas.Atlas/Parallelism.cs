using System.Runtime.ExceptionServices;

namespace HeadAtlas.Atlas;

internal static class Parallelism
{
    /// <summary>Parallel.ForEach that rethrows the first failure as itself (a CorpusInputException or a
    /// cancellation stays what it is) rather than wrapped in an AggregateException.</summary>
    public static void ForEach<T>(IEnumerable<T> items, int degree, CancellationToken cancel, Action<T> body)
    {
        if (degree <= 1)
        {
            // In order, on this thread: heads finish (and their files appear) in manifest order.
            foreach (var item in items)
            {
                cancel.ThrowIfCancellationRequested();
                body(item);
            }
            return;
        }
        try
        {
            // One item at a time, in order, to whichever worker is free: heads finish roughly in manifest order (a list
            // would otherwise be cut into ranges, the second worker starting halfway), and no worker idles while
            // another still has a queue.
            var ordered = System.Collections.Concurrent.Partitioner.Create(items, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering);
            Parallel.ForEach(ordered, new ParallelOptions { MaxDegreeOfParallelism = degree, CancellationToken = cancel }, body);
        }
        catch (AggregateException e)
        {
            var first = e.Flatten().InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException)
                        ?? e.Flatten().InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }
}
