using Amazon.Runtime;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>Assertions on the AWS SDK's service errors, shared by the KMS and SSM test bases.</summary>
internal static class AwsAssert
{
    /// <summary>
    /// Asserts that the call fails with exception type <typeparamref name="T"/> (or a subclass) and the given
    /// error code, HTTP 400, and if given the exact message.
    /// </summary>
    public static async Task<T> ErrorAsync<T>(string code, Func<Task> call, string? message = null)
        where T : AmazonServiceException
    {
        AmazonServiceException? caught = null;
        try
        {
            await call();
        }
        catch (AmazonServiceException ex)
        {
            caught = ex;
        }

        Assert.True(caught is not null, $"expected {code}, but the call succeeded");
        Assert.True(caught is T, $"expected {typeof(T).Name} ({code}), got {caught.GetType().Name} ({caught.ErrorCode}): {caught.Message}");
        Assert.True(code == caught.ErrorCode, $"expected error code {code}, got {caught.ErrorCode}: {caught.Message}");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, caught.StatusCode);
        if (message is not null)
        {
            Assert.Equal(message, caught.Message);
        }

        return (T)caught;
    }
}
