// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A CPU-bound C++ program for the profiler's tests: main ->
 * burner::Engine::run -> burner::Engine::hot, whose loop is an inlined
 * helper (burner::mix), and burner::Engine::warm, which spends its time in
 * libc's memset (named only from libc6-dbg's debug file). Built -g with
 * frame pointers. Arguments: seconds, and how many times more work hot does
 * than warm (default 1), so that a second profile can see hot double.
 */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace burner {

volatile unsigned long sink;

/* The inlined helper: always inlined, so its code sits inside hot(). */
static inline __attribute__((always_inline)) unsigned long mix(unsigned long x, unsigned long i)
{
	for (int k = 0; k < 8; k++)
		x = x * 6364136223846793005ULL + (i ^ k);
	return x;
}

class Engine {
public:
	__attribute__((noinline)) void hot(unsigned long rounds);
	__attribute__((noinline)) void warm(unsigned long rounds);
	__attribute__((noinline)) void run(double seconds, unsigned factor);

private:
	char buffer[1 << 16];
};

void Engine::hot(unsigned long rounds)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < rounds; i++)
		x = mix(x, i);
	sink = x;
}

void Engine::warm(unsigned long rounds)
{
	for (unsigned long i = 0; i < rounds / 4096; i++)
		memset(buffer, (int)(i + sink), sizeof(buffer));
	sink += buffer[sink & 0xffff];
}

void Engine::run(double seconds, unsigned factor)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);

	while (std::chrono::steady_clock::now() < end) {
		hot(200000UL * factor);
		warm(400000UL * 12);
	}
}

} // namespace burner

int main(int argc, char **argv)
{
	static burner::Engine engine;

	engine.run(argc > 1 ? atof(argv[1]) : 2.0, argc > 2 ? atoi(argv[2]) : 1);
	printf("%lu\n", burner::sink);
	return 0;
}
