from qa.interfaces.entry import main

main()
