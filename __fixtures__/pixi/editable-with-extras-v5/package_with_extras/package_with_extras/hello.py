def say_hello():
    print("HELLO")
