fn main() {
    std::process::exit(shakedown::app::main());
}
