// Every test here runs real server processes under load; running them side by side on a small machine would make them
// compete for the CPU and turn generous time limits into flaky ones.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
