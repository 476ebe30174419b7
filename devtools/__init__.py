"""Development support shared by the demo, the benchmarks and the tests: the seeded fraud registry and moto_server."""
