print("txf-train")
