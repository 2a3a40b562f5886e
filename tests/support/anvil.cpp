#include "tests/support/anvil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace vigil::testing {

std::filesystem::path anvil_binary() {
    if (const char* env = std::getenv("VIGIL_ANVIL"); env && *env) return env;
    return std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/devnet/node_modules/.bin/anvil";
}

Result<std::unique_ptr<AnvilProcess>> AnvilProcess::start(const AnvilOptions& options) {
    const auto binary = anvil_binary();
    if (!std::filesystem::exists(binary))
        return fail("anvil not found at " + binary.string() +
                    " (run: npm ci --prefix tests/devnet)");
    char tmpl[] = "/tmp/vigil-anvil-XXXXXX";
    if (!mkdtemp(tmpl)) return fail("anvil: cannot create a temp directory");
    std::unique_ptr<AnvilProcess> proc(new AnvilProcess());
    proc->dir_ = tmpl;
    const std::string log_path = (proc->dir_ / "anvil.log").string();

    std::vector<std::string> args = {binary.string(),
                                     "--host",
                                     "127.0.0.1",
                                     "--port",
                                     "0",
                                     "--chain-id",
                                     std::to_string(options.chain_id),
                                     "--hardfork",
                                     options.hardfork,
                                     "--cache-path",
                                     (proc->dir_ / "cache").string(),
                                     "--slots-in-an-epoch",
                                     std::to_string(options.slots_in_an_epoch)};
    if (options.block_time_secs) {
        args.push_back("--block-time");
        args.push_back(std::to_string(*options.block_time_secs));
    }
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());

    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return fail("anvil: fork failed");
    if (pid == 0) {
        // Die with the test process, whatever happens to it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    proc->pid_ = pid;

    // Anvil prints "Listening on 127.0.0.1:PORT" once it serves.
    const std::regex listening(R"(Listening on 127\.0\.0\.1:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(log_path);
        std::stringstream ss;
        ss << in.rdbuf();
        std::smatch m;
        const std::string text = ss.str();
        if (std::regex_search(text, m, listening)) {
            proc->port_ = static_cast<uint16_t>(std::stoi(m[1]));
            return proc;
        }
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            proc->pid_ = -1;
            return fail("anvil exited at start: " + text.substr(0, 500));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fail("anvil did not start listening within 20 s");
}

void AnvilProcess::stop() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        for (int i = 0; i < 150; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }
}

AnvilProcess::~AnvilProcess() {
    stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace vigil::testing
