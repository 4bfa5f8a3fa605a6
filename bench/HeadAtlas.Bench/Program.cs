// PLACEHOLDER: side-by-side benchmarks (ours vs ONNX Runtime, vs scikit-learn) land here.
Console.WriteLine("no benchmarks yet");
